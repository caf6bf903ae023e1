"""fangpin (防贫): county platform for preventing rural households from falling (back) into poverty."""

__version__ = "0.1.0"
