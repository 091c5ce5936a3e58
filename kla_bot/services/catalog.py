"""The KLA catalog (clusters and indicators), shipped as editable data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession

from kla_bot.models import Cluster, Indicator


@dataclass(frozen=True)
class CatalogCluster:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class CatalogIndicator:
    number: int
    cluster: str
    name: str
    name_en: str


@dataclass(frozen=True)
class Catalog:
    clusters: tuple[CatalogCluster, ...]
    indicators: tuple[CatalogIndicator, ...]

    @property
    def cluster_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.clusters)


@cache
def load_catalog() -> Catalog:
    """Read ``kla_bot/data/indicators.toml``."""
    text = resources.files("kla_bot").joinpath("data/indicators.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    clusters = tuple(CatalogCluster(c["code"], c["name"], c["name_en"]) for c in raw["clusters"])
    known = {c.code for c in clusters}
    indicators = tuple(
        CatalogIndicator(int(number), v["cluster"], v["name"], v["name_en"])
        for number, v in sorted(raw["indicators"].items(), key=lambda kv: int(kv[0]))
    )
    for ind in indicators:
        if ind.cluster not in known:
            raise ValueError(f"indicator {ind.number}: unknown cluster {ind.cluster}")
    return Catalog(clusters, indicators)


async def sync_catalog(session: AsyncSession) -> None:
    """Upsert the shipped catalog into the database (edits to the data file take effect)."""
    catalog = load_catalog()
    for position, c in enumerate(catalog.clusters):
        await session.merge(Cluster(code=c.code, position=position, name=c.name, name_en=c.name_en))
    await session.flush()
    for i in catalog.indicators:
        await session.merge(Indicator(number=i.number, cluster_code=i.cluster, name=i.name,
                                      name_en=i.name_en))
