"""Command modules; each area adds its `register(...)` lines below, one per command."""

from yitaotu.cli import register

__all__ = ["register"]

# foundation (registry, ingest, store integrity)
register("init", "registry")
register("project", "registry")
register("unit", "registry")
register("log", "registry")
register("show", "registry")
register("ls", "registry")
register("export", "registry")
register("ingest", "ingest")
register("verify", "store")
register("fsck", "store")
register("gc", "store")

# diff engine (issue #4)
register("diff", "diff")

# closed loop (workflow)
register("org", "workflow")
register("user", "workflow")
register("party", "workflow")
register("submit", "workflow")
register("review", "workflow")
register("opinion", "workflow")
register("change", "records")
register("submission", "records")
register("meeting", "records")
register("discipline", "records")
register("asbuilt", "workflow")
register("accept", "workflow")
register("status", "workflow")
register("inbox", "workflow")
register("audit", "workflow")
register("workflow", "workflow")

# archive packages, 四性检测, the inspector's pull (issue #13)
register("archive", "archive")
register("inspect", "archive")

# rendering (issue #5)
register("render", "render")

# web application (issue #11)
register("demo", "web")
register("serve", "web")
register("worker", "web")
# building units on the map, 落图, exchange (issue #14)
register("geo", "geo")
register("exchange", "exchange")
# BIM models: assisted review (issue #18)
register("check", "modelcheck")
