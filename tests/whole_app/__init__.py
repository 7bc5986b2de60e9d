"""An app built as real FastAPI apps are: routers in several modules, a library's router of
plain APIRoutes, a static mount, the docs, an app factory reading its origins from settings,
and a router the factory includes after the CORS call. ``create_app(cors=...)`` builds it
with Starlette's CORSMiddleware or with cors_routes.install(), so the two can be compared."""
