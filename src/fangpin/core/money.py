"""Money as the registers and forms hold it: yuan with two decimals."""

from decimal import Decimal

from django.db import models

MONEY_DIGITS = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


def money(verbose_name, **kwargs) -> models.DecimalField:
    """A model field for an amount in yuan (up to ten digits before the point, two after)."""
    return models.DecimalField(verbose_name, **MONEY_DIGITS, **kwargs)


def money_text(value) -> str:
    """An amount as a page shows it: thousands separated, two decimals; a dash when there is none."""
    return "—" if value is None else f"{value:,.2f}"
