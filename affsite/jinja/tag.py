"""``{% aliexpress "1005004757833857" template="grid" %}``: the ``aliexpress()`` template global
as a tag, for templates that read better with tags.

The tag takes one expression (the products: an id, ids separated by commas, a list, an
address), which a list leaves out (``{% aliexpress search="usb c cable", limit=4 %}``), and
then keyword arguments, ``name=expression``, optionally separated by commas;
it outputs what ``aliexpress(...)`` returns, escaped ``Markup``. It evaluates nothing but
those expressions.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from affsite.jinja.functions import aliexpress

__all__ = ["AliexpressTag"]


class AliexpressTag(Extension):
    """The ``{% aliexpress … %}`` tag (see the module doc)."""

    tags = {"aliexpress"}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        stream = parser.stream
        if stream.current.type == "name" and stream.look().type == "assign":
            products: nodes.Expr = nodes.Const(None)  # a list: only keyword arguments
        else:
            products = parser.parse_expression()
        options: list[nodes.Keyword] = []
        while parser.stream.current.type != "block_end":
            parser.stream.skip_if("comma")
            name = parser.stream.expect("name")
            parser.stream.expect("assign")
            value = parser.parse_expression()
            options.append(nodes.Keyword(name.value, value, lineno=name.lineno))
        call = self.call_method("_draw", [products], options, lineno=lineno)
        return nodes.Output([call], lineno=lineno)

    @staticmethod
    def _draw(products: Any, **options: Any) -> Markup:
        return aliexpress(products, **options)
