"""Assistance measures, their catalogue and the registers of resources behind them."""
