"""affsite's product boxes in any Flask app's Jinja templates.

::

    from flask import Flask
    from affsite.jinja import Affsite

    app = Flask(__name__)
    Affsite(instance_path="/srv/affsite/instance").init_app(app)

Templates then have ``{{ aliexpress("1005004757833857", template="grid") }}``, the filter
``{{ article.body|aliexpress_shortcodes }}`` and the tag
``{% aliexpress "1005004757833857" template="grid" %}``, each giving escaped ``Markup``.
Settings (credentials, language, the look of the boxes) and the product cache are those of
the affsite instance folder, shared with an affsite site running on it, if any.

Modules: ``functions`` (what templates call), ``tag`` (the ``{% aliexpress %}`` tag, a Jinja
``Extension`` calling the same function), ``extension`` (``Affsite``, which installs them).
"""

from affsite.jinja.extension import Affsite, InstanceNotConfigured
from affsite.jinja.functions import aliexpress, aliexpress_shortcodes
from affsite.jinja.tag import AliexpressTag

__all__ = [
    "Affsite",
    "AliexpressTag",
    "InstanceNotConfigured",
    "aliexpress",
    "aliexpress_shortcodes",
]
