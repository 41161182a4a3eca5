"""The only package that knows the AliExpress wire format: signing, client, models, errors."""

from __future__ import annotations

from affsite.aliexpress.client import (
    DEFAULT_API_URL,
    AliExpressClient,
    PlatformProductType,
    ProductSort,
)
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
from affsite.aliexpress.signing import sign, signed_params

__all__ = [
    "DEFAULT_API_URL",
    "AliExpressClient",
    "ApiCallLimit",
    "ApiError",
    "ApiResponseError",
    "Category",
    "CredentialsError",
    "GatewayUnavailable",
    "IncompleteSignature",
    "InvalidAppKey",
    "Money",
    "PlatformProductType",
    "Product",
    "ProductPage",
    "ProductSort",
    "PublisherNotRegistered",
    "sign",
    "signed_params",
]
