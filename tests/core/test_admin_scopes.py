"""The read-only admin base: plain Python, no database (permission methods take the request as given)."""

from __future__ import annotations

from core.admin_scopes import ReadOnlyAdminMixin


class Permissive:
    """Stands for what comes after the mixin (a scope, `admin.ModelAdmin`) answering yes to everything."""

    def has_add_permission(self, request, *args):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True


class ReadOnly(ReadOnlyAdminMixin, Permissive):
    pass


class ReadOnlyButDeletable(ReadOnlyAdminMixin, Permissive):
    read_only_allows_delete = True


def test_read_only_refuses_add_change_and_delete_whatever_comes_after():
    admin_class = ReadOnly()
    assert not admin_class.has_add_permission(None)
    assert not admin_class.has_add_permission(None, object())  # inlines pass the parent object
    assert not admin_class.has_change_permission(None, object())
    assert not admin_class.has_delete_permission(None, object())


def test_deleting_can_be_left_to_the_usual_permissions():
    admin_class = ReadOnlyButDeletable()
    assert not admin_class.has_add_permission(None) and not admin_class.has_change_permission(None)
    assert admin_class.has_delete_permission(None, object())
