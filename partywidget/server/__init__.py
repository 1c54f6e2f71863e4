"""Adapters that put rooms on the network: the Jupyter extension and ``partywidget serve``."""
