from django.core.paginator import Page
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """`{count, next, previous, results}`; clients may ask for up to 100 rows a page."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_counted(self, request, fetch):
        """The page `paginate_queryset` answers, when `fetch(offset, limit)` can read its rows and the
        total in one query (`COUNT(*) OVER ()`): a list then costs one statement, not a COUNT and a
        SELECT. None when it cannot (a page number that is not a plain number, or `fetch` found no
        row: an empty list or a page past the end); the caller then paginates a queryset as usual,
        which answers those cases (an empty first page, 404 "Invalid page.") exactly as before."""
        self.request = request
        page_size = self.get_page_size(request)
        try:
            number = int(request.query_params.get(self.page_query_param, 1))
        except (TypeError, ValueError):
            return None
        if not page_size or number < 1:
            return None
        fetched = fetch((number - 1) * page_size, page_size)
        if fetched is None:
            return None
        rows, total = fetched
        paginator = self.django_paginator_class(rows, page_size)
        paginator.count = total  # a cached property: the total the page's query counted
        self.page = Page(rows, number, paginator)
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows
