"""``{% sort_th lst "key" %}``: a column header that sorts the list when
clicked (``aria-sort`` says how it is sorted); a column that cannot be
sorted in SQL (encrypted) is a plain header."""

from django import template

register = template.Library()


@register.inclusion_tag("lists/_sort_th.html")
def sort_th(lst, key: str):
    column = lst.spec.column(key)
    active = column is not None and lst.sort.column.key == key
    return {
        "column": column,
        "active": active,
        "descending": active and lst.sort.descending,
        "query": lst.sort_query(column) if column is not None and column.sortable else "",
    }


@register.filter
def shows(lst, key: str) -> bool:
    """Whether the user shows the column ``key`` in this list."""
    return key in lst.shown


@register.filter
def cell(lst, key: str) -> str:
    """The class of a cell of column ``key`` (nowrap for kana, emails, phones, dates)."""
    column = lst.spec.column(key)
    classes = []
    if column is not None and column.nowrap:
        classes.append("nowrap")
    if column is not None and column.num:
        classes.append("num")
    return " ".join(classes)
