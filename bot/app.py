"""The Starlette application: routes are assembled here from the modules that own them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from agents.roles import load_roles
from bot.api.rest_app import build_api_routes
from bot.api.types import ApiDeps, Role
from bot.llm_config import secret_store
from bot.observability import RequestContextMiddleware
from bot.routes.github_app import ManifestDeps, github_app_routes
from bot.routes.health import health_routes
from bot.routes.webhooks import webhook_deps, webhook_route
from bot.services import Services
from bot.v1.auth import PrincipalCache, key_authenticator
from bot.v1.catalog import Catalog, CatalogConfig
from bot.v1.direct_route import DirectRoute
from bot.v1.openapi import v1_openapi
from bot.v1.passthrough import Passthrough
from bot.v1.provider_errors import map_provider_error
from bot.v1.routes import CHAT_PATH, Authenticator, v1_routes


def _catalog(services: Services, passthrough: Passthrough | None) -> Catalog:
    settings = services.settings
    configured = [settings.default_model, *settings.role_models.values()]
    configured += [m for chain in settings.fallback_models.values() for m in chain]
    listed = tuple(dict.fromkeys([*configured, *settings.gateway_models]))
    config = CatalogConfig(
        default_model=settings.default_model,
        role_models=dict(settings.role_models),
        gateway_mode=settings.gateway_mode,
        gateway_models=listed,
    )
    return Catalog(
        services.llm,
        services.database,
        load_roles(),
        config,
        lambda project, query, n: services.search(project, "code", query, n),
        passthrough,
    )


def _passthrough(services: Services) -> Passthrough:
    # Imported here: its HTTP client (aiohttp) comes with the `server` extra.
    from bot.v1.upstream_pool import UpstreamPool

    config = services.llm.config
    return Passthrough(config, UpstreamPool(config), services.usage)


def build_routes(services: Services, passthrough: Passthrough | None = None) -> list[BaseRoute]:
    """`passthrough` serves gateway models of OpenAI-compatible upstreams without the SDK."""
    settings = services.settings
    v1_paths, v1_schemas = v1_openapi()
    principals = PrincipalCache()

    def v1_authenticator(required_role: Role) -> Authenticator:
        return key_authenticator(
            services.database,
            services.kv.rates,
            settings.api_rate_limit_per_minute,
            principals,
            required_role=required_role,
        )

    catalog = _catalog(services, passthrough)
    api_deps = ApiDeps(
        database=services.database,
        settings=settings,
        rate_limiter=services.kv.rates,
        queue=services.queue,
        search=services.search,
    )
    return [
        *health_routes(services.checks(), services.metrics),
        *github_app_routes(
            ManifestDeps(
                settings,
                lambda: secret_store(settings, services.database),
                services.kv.cache,
            )
        ),
        webhook_route(
            webhook_deps(
                settings,
                database=services.database,
                queue=services.queue,
                cache=services.kv.cache,
            ),
            observe=lambda event, outcome: services.metrics.webhooks.labels(
                event=event, outcome=outcome
            ).inc(),
        ),
        *v1_routes(
            catalog,
            v1_authenticator(Role.VIEWER),
            map_provider_error,
            max_body_bytes=settings.api_max_body_bytes,
            # Chat spends model budget: viewers may list models but not chat.
            chat_authenticate=v1_authenticator(Role.MEMBER),
            raw_routes=catalog.raw_route if passthrough is not None else None,
        ),
        *build_api_routes(api_deps, extra_openapi_paths=v1_paths, extra_openapi_schemas=v1_schemas),
    ]


def create_app(services: Services) -> Starlette:
    """The ASGI app over built services; it starts the in-process workers (embedded mode)
    when it starts, and stops them when it stops.

    In gateway mode the raw pass-through's pooled upstream clients are made on the server's
    event loop (on first use) and closed here, on that loop, when the app stops."""
    passthrough = _passthrough(services) if services.settings.gateway_mode else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.start()
        try:
            yield
        finally:
            if passthrough is not None:
                await passthrough.aclose()
            services.close()
            await services.llm.aclose()

    routes = build_routes(services, passthrough)
    chat = next(r for r in routes if isinstance(r, Route) and r.path == CHAT_PATH)
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestContextMiddleware, metrics=services.metrics),
            Middleware(DirectRoute, route=chat),
        ],
        lifespan=lifespan,
    )
