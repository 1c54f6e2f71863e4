"""Prometheus metrics of a room host, read from its :class:`HostStats` at scrape time.

A custom collector (``prometheus_client``'s documented way to export values
kept elsewhere): the counters are plain integers the hot path adds to, and
nothing here runs until ``/metrics`` is read. Inside Jupyter the collector is
registered in the default registry, which jupyter_server's own ``/metrics``
serves (with its authentication); ``partywidget serve`` serves its own
registry (see :mod:`.health`).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import accumulate

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, Metric)
from prometheus_client.registry import Collector

from ..rooms import RoomHost

__all__ = ["HostCollector", "serve_registry"]


class HostCollector(Collector):
    """``partywidget_*`` metrics of one room host."""

    def __init__(self, host: RoomHost) -> None:
        self.host = host

    def collect(self) -> Iterator[Metric]:
        host, stats = self.host, self.host.stats
        rooms = host.rooms
        yield GaugeMetricFamily("partywidget_rooms_loaded", "Rooms loaded in this process.",
                                value=len(rooms))
        yield GaugeMetricFamily("partywidget_connections",
                                "Open room connections on this process.",
                                value=sum(len(room.connections) for room in rooms.values()))
        for name, doc, value in (
                ("connections_opened", "Connections admitted into a room.",
                 stats.connections_opened),
                ("messages_in", "Frames received from clients.", stats.messages_in),
                ("messages_out", "Frames written to client sockets.", stats.messages_out),
                ("broadcast_deliveries", "Broadcast frames handed to a connection.",
                 stats.deliveries)):
            yield CounterMetricFamily(f"partywidget_{name}", doc, value=value)
        refused = CounterMetricFamily("partywidget_refused_frames",
                                      "Frames refused with an error reply, by error code.",
                                      labels=["code"])
        for code, count in sorted(stats.refused.items()):
            refused.add_metric([code], count)
        yield refused
        closes = CounterMetricFamily("partywidget_server_closes",
                                     "Sockets the server closed, by WebSocket close code "
                                     "(4008: slow consumer, 4029: flooding).", labels=["code"])
        for code, count in sorted(stats.closes.items()):
            closes.add_metric([str(code)], count)
        yield closes
        histogram = stats.append_seconds
        cumulative = list(accumulate(histogram.counts))
        yield HistogramMetricFamily(
            "partywidget_storage_append_seconds",
            "Seconds a log append took until the storage acknowledged it.",
            buckets=[*((repr(b), c) for b, c in zip(histogram.bounds, cumulative)),
                     ("+Inf", cumulative[-1])],
            sum_value=histogram.sum)
        lag = host.backplane.lag_seconds if host.backplane is not None else None
        if lag is not None:
            yield GaugeMetricFamily(
                "partywidget_backplane_lag_seconds",
                "Seconds the newest probe took from PUBLISH until this process read it.",
                value=lag)


def serve_registry(host: RoomHost) -> CollectorRegistry:
    """What ``/metrics`` of ``partywidget serve`` shows: the host's and the process's."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(HostCollector(host))
    ProcessCollector(registry=registry)
    return registry
