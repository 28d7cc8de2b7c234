"""Showing a reply's trace: its compliance score as the chat page's badge."""

from django import template

from personas.compliance import score_level, score_percent

register = template.Library()


@register.filter
def compliance_level(score) -> str:
    """"good" (green), "fair" (amber) or "low" (red); thresholds in personas.compliance."""
    return score_level(float(score))


@register.filter
def compliance_percent(score) -> str:
    return score_percent(float(score))
