"""The internal REST API (`/api/v1`), its OpenAPI description, API keys and roles.

`bot.api.rest_app.build_api_routes(deps)` gives the routes to mount; the OpenAI-compatible `/v1`
routes reuse `bot.api.auth` (keys, project choice) and `bot.api.ratelimit`.
"""
