"""WordPress-style shortcodes: ``[aliexpress …]`` in any text that passes through affsite.

``expand(text, answers_for, draw)`` draws every shortcode of a document with one request for
all of its products; ``check(text)`` lists what is wrong with them, for the author;
``expand_tag(tag, attrs, ...)`` draws one tag given as attributes (template globals, APIs). Modules,
each depending only on those above it:

- ``html_tags``, ``attributes``, ``parser``: finding shortcodes exactly as WordPress does;
- ``problems``, ``refusal``: what cannot be drawn, and the HTML comment that stands for it;
- ``references``: ids, addresses and short links, each resolved once per document;
- ``lists``, ``tags``: what each tag asks for, checked;
- ``expand``: the document as a whole; ``drawing``: the renderer as its ``draw`` function.

Nothing here imports Flask: the web layer, the CLI and template tags wire it to the catalog.
"""

from affsite.shortcodes.attributes import parse_attributes, stripcslashes
from affsite.shortcodes.drawing import drawing_choices, renderer_draw
from affsite.shortcodes.expand import (
    LIST_FOUND_NOTHING,
    LISTS_UNANSWERED,
    MAX_LISTS,
    MAX_PRODUCTS,
    AnswersFor,
    Draw,
    Expansion,
    Found,
    ListsFor,
    Plan,
    Planned,
    check,
    expand,
    expand_tag,
    plan,
)
from affsite.shortcodes.parser import TAGS, Segment, Shortcode, parse
from affsite.shortcodes.problems import Problem
from affsite.shortcodes.references import DocumentResolver, Resolver
from affsite.shortcodes.refusal import Refusal
from affsite.shortcodes.tags import (
    Field,
    FieldTag,
    LinkTag,
    ListTag,
    Look,
    ProductRequest,
    ProductsTag,
    Request,
    interpret,
)

__all__ = [
    "LISTS_UNANSWERED",
    "LIST_FOUND_NOTHING",
    "MAX_LISTS",
    "MAX_PRODUCTS",
    "TAGS",
    "AnswersFor",
    "DocumentResolver",
    "Draw",
    "Expansion",
    "Field",
    "FieldTag",
    "Found",
    "LinkTag",
    "ListTag",
    "ListsFor",
    "Look",
    "Plan",
    "Planned",
    "Problem",
    "ProductRequest",
    "ProductsTag",
    "Refusal",
    "Request",
    "Resolver",
    "Segment",
    "Shortcode",
    "check",
    "drawing_choices",
    "expand",
    "expand_tag",
    "interpret",
    "parse",
    "parse_attributes",
    "plan",
    "renderer_draw",
    "stripcslashes",
]
