"""``{% rendered_once %}…{% endrendered_once %}``: the enclosed part of a page, rendered once.

The view puts ``cache_key`` (and, when the store has it, ``cached_body``) into the context; see
privacy.pagecache. The enclosed part must not use per-request values (the CSP nonce, messages,
the visitor's consent state).
"""

from django import template
from django.utils.safestring import mark_safe

from .. import pagecache

register = template.Library()


class RenderedOnceNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        cached = context.get("cached_body")
        if cached is not None:
            return cached
        body = self.nodelist.render(context)
        key = context.get("cache_key")
        if key is not None:
            pagecache.bodies.put(key, body)
        return mark_safe(body)


@register.tag
def rendered_once(parser, token) -> RenderedOnceNode:
    nodelist = parser.parse(("endrendered_once",))
    parser.delete_first_token()
    return RenderedOnceNode(nodelist)
