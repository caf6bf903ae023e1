from django.db import models
from django.utils.translation import gettext_lazy as _

from fangpin.core.scoping import AreaScoped


class Level(models.TextChoices):
    COUNTY = "county", _("县")
    TOWNSHIP = "township", _("乡镇")
    VILLAGE = "village", _("村")
    GROUP = "group", _("组")


# Length of the code prefix that a place's descendants share (statistical codes nest by prefix).
SCOPE_PREFIX_LENGTH = {Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12, Level.GROUP: 15}
PARENT_LEVEL = {Level.TOWNSHIP: Level.COUNTY, Level.VILLAGE: Level.TOWNSHIP, Level.GROUP: Level.VILLAGE}
LEVEL_BY_LABEL = {"县": Level.COUNTY, "乡镇": Level.TOWNSHIP, "乡": Level.TOWNSHIP, "镇": Level.TOWNSHIP,
                  "村": Level.VILLAGE, "组": Level.GROUP}


class Place(AreaScoped):
    """County → township → village → group. Counties, townships and villages carry 12-digit
    statistical codes; a group's code is its village's 12 digits and a 3-digit suffix."""

    code = models.CharField(_("区划代码"), max_length=15, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name=_("上级"), on_delete=models.PROTECT, null=True,
                               related_name="children")

    area_field = "code"

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="place_name_unique_in_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_prefix(self) -> str:
        return self.code[: SCOPE_PREFIX_LENGTH[self.level]]

    def ancestors(self) -> list["Place"]:
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    @property
    def full_name(self) -> str:
        return "".join(p.name for p in [*self.ancestors(), self])

    def village(self) -> "Place":
        return self.parent if self.level == Level.GROUP else self
