"""The command palette's capsule commands (`ctrl+p`, or `:` on the list, as in k9s).

`:capsules`, `:hosts`, `:services`, `:events`, `:create`, `:import`, `:help` — each goes to that
view through `CapsuleApp.action_show`, from wherever the user is. The one provider
of the app's own commands; Textual's system commands (theme, quit…) stay beside it.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

VIEWS: tuple[tuple[str, str], ...] = (
    ("capsules", "the capsule list"),
    ("hosts", "the hosts: reachability, engine, capacity"),
    ("services", "the Services of the applications: ports, address, backends ready/total"),
    ("events", "the event log, live"),
    ("create", "create capsules from YAML"),
    ("import", "import a Kubernetes manifest: see the capsules it becomes, then create them"),
    ("help", "every key"),
)


class CapsuleCommands(Provider):
    async def discover(self) -> Hits:
        for view, help_text in VIEWS:
            yield DiscoveryHit(f":{view}", partial(self.app.action_show, view), help=help_text)  # type: ignore[attr-defined]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for view, help_text in VIEWS:
            name = f":{view}"
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.action_show, view),  # type: ignore[attr-defined]
                          text=name, help=help_text)
