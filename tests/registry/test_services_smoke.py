from fangpin.core.models import ChangeLog
from fangpin.registry.models import Household

from ..factories import make_household


def test_household_create_logs_every_row(county_admin, places):
    household = make_household(county_admin, places["t1v1"], members=3)
    assert household.size == 3
    assert household.head.relation == "head"
    assert ChangeLog.objects.filter(household_id=household.pk).count() == 4
    assert Household.objects.restrict(county_admin).count() == 1
