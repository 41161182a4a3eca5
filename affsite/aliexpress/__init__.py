"""The only package that knows the AliExpress wire format.

``AliExpressClient`` signs and sends calls (``signing``), reads the response envelope
(``envelope``) and returns typed, bounded results (``models``, built field by field by
``parsing``; URLs filtered by ``links``). Searches and link requests are value objects
(``queries``); the gateway's fixed facts live in ``protocol``; failures form one small tree
(``errors``). ``sandbox`` is an offline stand-in for the gateway. Nothing here imports the
settings or Flask: constants flow downward, from here to the settings.
"""

from __future__ import annotations

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.errors import (
    ApiCallLimit,
    ApiError,
    ApiResponseError,
    CredentialsError,
    GatewayUnavailable,
    IncompleteSignature,
    InvalidAppKey,
    PublisherNotRegistered,
)
from affsite.aliexpress.models import Category, Money, Product, ProductPage
from affsite.aliexpress.parsing import global_id
from affsite.aliexpress.protocol import DEFAULT_API_URL, MAX_BATCH_SIZE, api_url_problem
from affsite.aliexpress.queries import (
    HotProductQuery,
    LinkRequest,
    PlatformProductType,
    ProductQuery,
    ProductSort,
)
from affsite.aliexpress.signing import SIGN_METHODS, sign, signed_params

__all__ = [
    "DEFAULT_API_URL",
    "MAX_BATCH_SIZE",
    "SIGN_METHODS",
    "AliExpressClient",
    "ApiCallLimit",
    "ApiError",
    "ApiResponseError",
    "Category",
    "CredentialsError",
    "GatewayUnavailable",
    "HotProductQuery",
    "IncompleteSignature",
    "InvalidAppKey",
    "LinkRequest",
    "Money",
    "PlatformProductType",
    "Product",
    "ProductPage",
    "ProductQuery",
    "ProductSort",
    "PublisherNotRegistered",
    "api_url_problem",
    "global_id",
    "sign",
    "signed_params",
]
