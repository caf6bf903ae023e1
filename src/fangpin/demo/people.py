"""Synthetic households: who lives together, how old they are, and what the national form says about
each of them (education, schooling, health, labour, work, insurance, 低保/特困, public-welfare posts).

Everything here is pure Python driven by one `random.Random`, so the same seed gives the same people.
Ages are as of `DATA_AS_OF`; relations are built from ages (children are 19-38 years younger than
their mother, grandchildren are a generation below a son or daughter), so they are consistent by
construction.
"""

import datetime
import random

from fangpin.registry import choices
from fangpin.registry.idnumber import compose_id_number

from .names import WeightedChoice, plain

# Code values as plain strings: rows go to the database driver millions of times.
Education, Schooling, Health = plain(choices.Education), plain(choices.Schooling), plain(choices.Health)
DisabilityGrade, LabourCapacity = plain(choices.DisabilityGrade), plain(choices.LabourCapacity)
MedicalInsurance, Relation = plain(choices.MedicalInsurance), plain(choices.Relation)
WorkPlace = plain(choices.WorkPlace)
Sex = plain(choices.Sex)

DATA_AS_OF = datetime.date(2025, 12, 31)
SCHOOL_YEAR_START = datetime.date(2025, 9, 1)
_YEAR_START = {year: datetime.date(year, 1, 1).toordinal() for year in range(1900, DATA_AS_OF.year + 2)}

M, F = Sex.MALE, Sex.FEMALE

# Household size distributions (number of people living in the household at DATA_AS_OF).
SIZE_EXITED = WeightedChoice([(1, 6), (2, 13), (3, 21), (4, 26), (5, 19), (6, 9.5), (7, 3.5), (8, 1.5), (9, 0.5)])
SIZE_ORDINARY = WeightedChoice([(1, 10.5), (2, 21), (3, 22.5), (4, 22.5), (5, 14), (6, 7), (7, 2), (8, 1)])

# Which family shape a household of a given size has.
SHAPES = {
    2: WeightedChoice([("nuclear", 62), ("single_parent", 13), ("with_parents", 15), ("skip_generation", 10)]),
    3: WeightedChoice([("nuclear", 38), ("single_parent", 8), ("with_parents", 22), ("three_generation", 19),
                       ("skip_generation", 13)]),
    4: WeightedChoice([("nuclear", 30), ("single_parent", 4), ("with_parents", 28), ("three_generation", 30),
                       ("skip_generation", 8)]),
    5: WeightedChoice([("nuclear", 14), ("with_parents", 34), ("three_generation", 46), ("skip_generation", 6)]),
    6: WeightedChoice([("nuclear", 6), ("with_parents", 32), ("three_generation", 62)]),
}

# Education completed, by birth cohort (people who are no longer at school).
EDUCATION_BY_COHORT = (
    (1950, WeightedChoice([(Education.ILLITERATE, 40), (Education.PRIMARY, 45), (Education.JUNIOR, 12),
                           (Education.SENIOR, 3)])),
    (1965, WeightedChoice([(Education.ILLITERATE, 18), (Education.PRIMARY, 47), (Education.JUNIOR, 28),
                           (Education.SENIOR, 6), (Education.VOCATIONAL, 1)])),
    (1980, WeightedChoice([(Education.ILLITERATE, 5), (Education.PRIMARY, 35), (Education.JUNIOR, 47),
                           (Education.SENIOR, 9), (Education.VOCATIONAL, 3), (Education.COLLEGE, 1)])),
    (1995, WeightedChoice([(Education.ILLITERATE, 2), (Education.PRIMARY, 14), (Education.JUNIOR, 55),
                           (Education.SENIOR, 14), (Education.VOCATIONAL, 10), (Education.COLLEGE, 5)])),
    (9999, WeightedChoice([(Education.ILLITERATE, 0.5), (Education.PRIMARY, 4), (Education.JUNIOR, 38),
                           (Education.SENIOR, 20), (Education.VOCATIONAL, 18), (Education.COLLEGE, 19.5)])),
)

# Yearly probability of (chronic illness, serious illness, disability) by age band (upper bound exclusive).
HEALTH_BY_AGE = ((15, 0.005, 0.002, 0.010), (45, 0.030, 0.004, 0.024), (60, 0.105, 0.010, 0.045),
                 (70, 0.210, 0.020, 0.070), (200, 0.290, 0.030, 0.100))
# Exited households were registered poor largely because of illness and disability (DOMAIN §9).
EXITED_HEALTH_FACTOR = (1.7, 1.9, 1.8)
DISABILITY_GRADES = WeightedChoice([(DisabilityGrade.GRADE1, 12), (DisabilityGrade.GRADE2, 26),
                                    (DisabilityGrade.GRADE3, 30), (DisabilityGrade.GRADE4, 32)])
WORK_PLACES = WeightedChoice([(WorkPlace.OUT_OF_PROVINCE, 45), (WorkPlace.IN_PROVINCE, 28),
                              (WorkPlace.IN_COUNTY, 27)])
COMPULSORY_DROPOUT_RATE = 0.0012

# ID numbers: people born in the county carry its code; people who married in, often a neighbour's.
# The codes sit in a prefecture number (39) that Sichuan does not use, so no synthetic number can be
# a real person's.
BIRTH_AREAS = WeightedChoice([("513922", 45), ("513923", 25), ("513902", 15), ("523921", 10), ("503921", 5)])

STUDENT_STAGES = {Schooling.PRIMARY, Schooling.GRADE7, Schooling.GRADE8, Schooling.GRADE9, Schooling.SENIOR,
                  Schooling.SECONDARY_VOCATIONAL, Schooling.HIGHER_VOCATIONAL, Schooling.UNDERGRADUATE,
                  Schooling.PRESCHOOL}
ABLE = {LabourCapacity.SKILLED, LabourCapacity.ORDINARY, LabourCapacity.WEAK}


class Person:
    __slots__ = (
        "relation", "sex", "age", "kin", "birth", "name", "ethnicity", "id_number", "education", "schooling",
        "health", "grade", "labour", "work_place", "work_months", "insurance", "critical", "pension",
        "supplementary", "dibao", "tekun", "welfare", "welfare_months", "joined", "ended", "end_reason",
    )

    def __init__(self, relation: str, sex: str, age: int, kin: str):
        self.relation, self.sex, self.age = relation, sex, max(0, age)
        # kin: "S" carries the children's family surname, "H" the head's own line, "R" married in.
        self.kin = kin
        self.name = self.id_number = ""
        self.ethnicity = "汉族"
        self.education = self.schooling = self.health = self.grade = self.labour = self.work_place = ""
        self.insurance = ""
        self.work_months = self.welfare_months = 0
        self.critical = self.pension = self.supplementary = False
        self.dibao = self.tekun = self.welfare = False
        self.joined = self.ended = None
        self.end_reason = ""

    @property
    def able(self) -> bool:
        return self.labour in ABLE

    @property
    def student(self) -> bool:
        return self.schooling in STUDENT_STAGES


def _tri(rng: random.Random, low: int, high: int, mode: int) -> int:
    return int(rng.triangular(low, high + 1, mode))


def _spouse_gap(rng: random.Random) -> int:
    """Husband's age minus wife's."""
    return max(-4, min(12, round(rng.gauss(2.2, 2.6))))


def _child(rng: random.Random, age: int, adult_son_bias: bool = True) -> Person:
    # Grown-up daughters mostly marry out; grown-up sons stay on the register.
    p_son = 0.72 if (adult_son_bias and age >= 22) else 0.52
    sex = M if rng.random() < p_son else F
    return Person(Relation.SON if sex == M else Relation.DAUGHTER, sex, age, "S")


def _grandchild(rng: random.Random, age: int) -> Person:
    sex = M if rng.random() < 0.53 else F
    return Person(Relation.GRANDSON if sex == M else Relation.GRANDDAUGHTER, sex, age, "S")


def _children_ages(rng: random.Random, k: int, eldest: int) -> list[int]:
    ages, age = [], eldest
    for i in range(k):
        ages.append(age)
        age -= _tri(rng, 1, 6, 2) if rng.random() > 0.02 else 0  # twins now and then
    shortfall = -min(ages)
    return [a + shortfall for a in ages] if shortfall > 0 else ages


def _couple(rng: random.Random, wife_age: int, head_male: bool, head_kin: str = "S") -> list[Person]:
    husband_age = min(96, wife_age + _spouse_gap(rng))
    if head_male:
        return [Person(Relation.HEAD, M, husband_age, head_kin), Person(Relation.SPOUSE, F, wife_age, "R")]
    return [Person(Relation.HEAD, F, wife_age, "H"), Person(Relation.SPOUSE, M, husband_age, "S")]


def _single(rng: random.Random) -> list[Person]:
    r = rng.random()
    if r < 0.70:
        age, sex = _tri(rng, 60, 94, 74), (F if rng.random() < 0.55 else M)
    elif r < 0.93:
        age, sex = _tri(rng, 35, 59, 52), (M if rng.random() < 0.8 else F)
    else:
        age, sex = _tri(rng, 20, 34, 28), (M if rng.random() < 0.85 else F)
    return [Person(Relation.HEAD, sex, age, "S" if sex == M else "H")]


def _nuclear(rng: random.Random, size: int) -> list[Person]:
    k = size - 2
    if k == 0:
        r = rng.random()
        wife = _tri(rng, 55, 88, 68) if r < 0.74 else (_tri(rng, 42, 60, 53) if r < 0.92 else _tri(rng, 20, 32, 25))
        return _couple(rng, wife, head_male=rng.random() < 0.93)
    eldest = _tri(rng, 3, 32, 14 + k) if rng.random() < 0.6 else _tri(rng, 18, 38, 26)
    ages = _children_ages(rng, k, eldest)
    wife = ages[0] + _tri(rng, 19, 34, 24)
    family = _couple(rng, wife, head_male=rng.random() < 0.92)
    return family + [_child(rng, a) for a in ages]


def _single_parent(rng: random.Random, size: int) -> list[Person]:
    k = size - 1
    ages = _children_ages(rng, k, _tri(rng, 2, 36, 17))
    parent_age = ages[0] + _tri(rng, 20, 36, 26)
    sex = F if rng.random() < 0.55 else M
    return [Person(Relation.HEAD, sex, parent_age, "S" if sex == M else "H")] + [_child(rng, a) for a in ages]


def _parents_of(rng: random.Random, head_age: int, count: int) -> list[Person]:
    father = min(97, head_age + _tri(rng, 22, 38, 29))
    if count == 2:
        return [Person(Relation.FATHER, M, father, "H"), Person(Relation.MOTHER, F, father - _spouse_gap(rng), "R")]
    if rng.random() < 0.68:  # widowed mothers outlive fathers
        return [Person(Relation.MOTHER, F, min(97, father - _spouse_gap(rng)), "R")]
    return [Person(Relation.FATHER, M, father, "H")]


def _with_parents(rng: random.Random, size: int) -> list[Person]:
    if size == 2 or rng.random() < 0.12:
        # An unmarried son (sometimes with unmarried siblings) looking after an old parent.
        head_age = _tri(rng, 28, 58, 42)
        parents = _parents_of(rng, head_age, 1 if size == 2 or rng.random() < 0.7 else 2)
        head = Person(Relation.HEAD, M, head_age, "S")
        siblings = [Person(Relation.SIBLING, M if rng.random() < 0.7 else F,
                           max(16, head_age + rng.randint(-8, 8)), "H")
                    for _ in range(size - 1 - len(parents))]
        return [head, *parents, *siblings]
    n_parents = 2 if size >= 5 and rng.random() < 0.5 else 1
    k = size - 2 - n_parents
    if k > 0:
        ages = _children_ages(rng, k, _tri(rng, 0, 20, 6))
        wife = ages[0] + _tri(rng, 20, 33, 25)
    else:
        ages, wife = [], _tri(rng, 24, 50, 32)
    family = _couple(rng, wife, head_male=rng.random() < 0.95)
    head_age = family[0].age
    return family + _parents_of(rng, head_age, n_parents) + [_child(rng, a) for a in ages]


def _three_generation(rng: random.Random, size: int) -> list[Person]:
    with_spouse = size >= 4 and rng.random() < 0.75
    slots = size - 1 - with_spouse
    with_in_law = slots >= 2 and rng.random() < 0.88
    m = slots - 1 - with_in_law
    extra_children = max(0, m - 4)
    m -= extra_children
    grand_ages = _children_ages(rng, m, _tri(rng, 0, 18, 7)) if m else []
    daughter_line = rng.random() < 0.15
    middle_age = (grand_ages[0] + _tri(rng, 21, 34, 26)) if grand_ages else _tri(rng, 22, 40, 28)
    head_age = min(94, middle_age + _tri(rng, 21, 34, 27))
    if with_spouse:
        wife = head_age - _spouse_gap(rng)
        family = [Person(Relation.HEAD, M, head_age, "S"), Person(Relation.SPOUSE, F, wife, "R")]
    else:
        sex = M if rng.random() < 0.45 else F
        family = [Person(Relation.HEAD, sex, head_age, "S" if sex == M else "H")]
    if daughter_line:
        family.append(Person(Relation.DAUGHTER, F, middle_age, "S"))
        if with_in_law:
            family.append(Person(Relation.SON_IN_LAW, M, middle_age + _spouse_gap(rng), "R"))
    else:
        family.append(Person(Relation.SON, M, middle_age, "S"))
        if with_in_law:
            family.append(Person(Relation.DAUGHTER_IN_LAW, F, middle_age - _spouse_gap(rng), "R"))
    family += [_grandchild(rng, a) for a in grand_ages]
    for _ in range(extra_children):
        family.append(_child(rng, max(16, middle_age - _tri(rng, 1, 10, 3)), adult_son_bias=False))
    return family


def _skip_generation(rng: random.Random, size: int) -> list[Person]:
    """Grandparents raising grandchildren whose parents work away (留守儿童)."""
    with_spouse = size >= 3 and rng.random() < 0.7
    m = size - 1 - with_spouse
    grand_ages = _children_ages(rng, m, _tri(rng, 0, 16, 7))
    head_age = min(92, grand_ages[0] + _tri(rng, 42, 62, 50))
    if with_spouse:
        family = _couple(rng, head_age - _spouse_gap(rng), head_male=rng.random() < 0.9)
    else:
        sex = F if rng.random() < 0.6 else M
        family = [Person(Relation.HEAD, sex, head_age, "S" if sex == M else "H")]
    return family + [_grandchild(rng, a) for a in grand_ages]


_BUILDERS = {
    "nuclear": _nuclear, "single_parent": _single_parent, "with_parents": _with_parents,
    "three_generation": _three_generation, "skip_generation": _skip_generation,
}


def compose_household(rng: random.Random, size: int) -> list[Person]:
    """Head first, then the others; ages consistent with the relations."""
    if size == 1:
        return _single(rng)
    shape = SHAPES[min(size, 6)].pick(rng)
    return _BUILDERS[shape](rng, size)


def set_birth_date(rng: random.Random, person: Person) -> None:
    year = DATA_AS_OF.year - person.age
    days = _YEAR_START[year + 1] - _YEAR_START[year]
    person.birth = datetime.date.fromordinal(_YEAR_START[year] + int(rng.random() * days))


class IdAllocator:
    """Unique ID numbers: a per (area, birth date, sex) counter walks the 500 sequence numbers of that
    day from a pseudo-random start, so numbers look varied and never repeat."""

    def __init__(self):
        self.used: dict[int, int] = {}

    def allocate(self, area: str, person: Person) -> str:
        birth = person.birth
        area_number = int(area)
        for shift in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7):
            day = birth + datetime.timedelta(days=shift)
            if day.year != birth.year:
                continue
            key = ((area_number * 1_000_000 + day.toordinal()) << 1) | (person.sex == M)
            count = self.used.get(key, 0)
            if count < 500:
                self.used[key] = count + 1
                person.birth = day
                start = (day.toordinal() * 7919 + area_number) % 500
                return compose_id_number(area, day, start + count * 7, person.sex)
        raise RuntimeError(f"more than 7,500 people of one sex born around {birth} in area {area}")


def _school_age(person: Person) -> int:
    """Age on 1 September of the current school year."""
    birth = person.birth
    return SCHOOL_YEAR_START.year - birth.year - ((birth.month, birth.day) > (9, 1))


def set_schooling(rng: random.Random, person: Person, exited: bool) -> None:
    age = _school_age(person)
    grade = age - 5 - (rng.random() < 0.12)  # some children start a year late
    if age < 3:
        person.education, person.schooling = Education.PRESCHOOL, Schooling.NOT_IN_SCHOOL
        return
    if grade <= 0:
        # Kindergarten, recorded as 学前教育 for every child from 3: a child of 5 marked 非在校生 would
        # look like a dropout to a screening run a year after this snapshot.
        person.education, person.schooling = Education.PRESCHOOL, Schooling.PRESCHOOL
        return
    if grade <= 9:
        person.education = Education.PRIMARY if grade <= 6 else Education.JUNIOR
        person.schooling = (Schooling.PRIMARY if grade <= 6 else
                            (Schooling.GRADE7, Schooling.GRADE8, Schooling.GRADE9)[grade - 7])
        if rng.random() < COMPULSORY_DROPOUT_RATE:
            person.schooling = Schooling.DROPOUT
        return
    if grade <= 12:
        r = rng.random()
        if r < 0.56:
            person.education, person.schooling = Education.SENIOR, Schooling.SENIOR
        elif r < 0.89:
            person.education, person.schooling = Education.VOCATIONAL, Schooling.SECONDARY_VOCATIONAL
        else:
            person.education, person.schooling = Education.JUNIOR, Schooling.NOT_IN_SCHOOL
        return
    if grade <= 16:
        r = rng.random() * (1.1 if exited else 1.0)
        if r < 0.24:
            person.education, person.schooling = Education.COLLEGE, Schooling.UNDERGRADUATE
        elif r < 0.47:
            person.education, person.schooling = Education.COLLEGE, Schooling.HIGHER_VOCATIONAL
        else:
            person.schooling = Schooling.NOT_IN_SCHOOL
            person.education = _completed_education(rng, person.birth.year)
            if person.education in (Education.COLLEGE, Education.ILLITERATE, Education.PRIMARY):
                person.education = Education.JUNIOR
        return
    person.schooling = Schooling.NOT_IN_SCHOOL
    person.education = _completed_education(rng, person.birth.year)


def _completed_education(rng: random.Random, birth_year: int):
    for before, table in EDUCATION_BY_COHORT:
        if birth_year < before:
            return table.pick(rng)
    raise AssertionError("cohort table is open-ended")


def set_health(rng: random.Random, person: Person, exited: bool) -> None:
    for upper, chronic, serious, disabled in HEALTH_BY_AGE:
        if person.age < upper:
            break
    if exited:
        chronic, serious, disabled = (chronic * EXITED_HEALTH_FACTOR[0], serious * EXITED_HEALTH_FACTOR[1],
                                      disabled * EXITED_HEALTH_FACTOR[2])
    u = rng.random()
    if u < disabled:
        person.health, person.grade = Health.DISABLED, DISABILITY_GRADES.pick(rng)
    elif u < disabled + serious:
        person.health = Health.SERIOUS
    elif u < disabled + serious + chronic:
        person.health = Health.CHRONIC
    else:
        person.health = Health.HEALTHY


def set_labour(rng: random.Random, person: Person) -> None:
    age, health, r = person.age, person.health, rng.random()
    if age < 16 or person.student:
        person.labour = LabourCapacity.NONE
    elif health == Health.DISABLED:
        grade = person.grade
        if grade in (DisabilityGrade.GRADE1, DisabilityGrade.GRADE2):
            person.labour = LabourCapacity.LOST
        elif grade == DisabilityGrade.GRADE3:
            person.labour = LabourCapacity.WEAK if r < 0.6 else LabourCapacity.LOST
        else:
            person.labour = LabourCapacity.ORDINARY if r < 0.4 and age < 60 else LabourCapacity.WEAK
    elif health == Health.SERIOUS:
        person.labour = LabourCapacity.LOST if r < 0.45 or age >= 70 else LabourCapacity.WEAK
    elif health == Health.CHRONIC:
        if age < 60:
            person.labour = LabourCapacity.ORDINARY if r < 0.45 else LabourCapacity.WEAK
        else:
            person.labour = LabourCapacity.WEAK if r < 0.55 and age < 75 else LabourCapacity.LOST
    elif age < 60:
        educated = person.education in (Education.VOCATIONAL, Education.COLLEGE)
        person.labour = LabourCapacity.SKILLED if r < (0.45 if educated else 0.16) else LabourCapacity.ORDINARY
    elif age < 70:
        person.labour = (LabourCapacity.ORDINARY if r < 0.35 else
                         LabourCapacity.WEAK if r < 0.90 else LabourCapacity.LOST)
    elif age < 80:
        person.labour = LabourCapacity.WEAK if r < 0.45 else LabourCapacity.LOST
    else:
        person.labour = LabourCapacity.WEAK if r < 0.08 else LabourCapacity.LOST


def set_work(rng: random.Random, person: Person, migrant_factor: float) -> None:
    """Where and how many months the person worked for wages this year (务工)."""
    labour, age = person.labour, person.age
    if labour not in ABLE or age < 16 or age >= 65:
        return
    if labour == LabourCapacity.SKILLED:
        p = 0.80
    elif labour == LabourCapacity.ORDINARY:
        p = 0.70 if age < 50 else (0.45 if age < 60 else 0.15)
    else:
        p = 0.18
    if person.sex == F:
        p *= 0.8
    if rng.random() >= p * migrant_factor:
        return
    if labour == LabourCapacity.WEAK:
        person.work_place = WorkPlace.IN_COUNTY if rng.random() < 0.8 else WorkPlace.IN_PROVINCE
        person.work_months = _tri(rng, 2, 9, 5)
        return
    person.work_place = WORK_PLACES.pick(rng)
    r = rng.random()
    person.work_months = 12 if r < 0.45 else (_tri(rng, 10, 11, 11) if r < 0.75 else
                                              (_tri(rng, 6, 9, 8) if r < 0.95 else _tri(rng, 3, 5, 4)))


def set_insurance(rng: random.Random, person: Person, exited: bool) -> None:
    p_none = 0.0015 if exited else 0.004
    if person.work_place == WorkPlace.OUT_OF_PROVINCE:
        p_none *= 3  # insured (or not) where they work
    if rng.random() < p_none:
        person.insurance = MedicalInsurance.NONE
    elif (person.labour == LabourCapacity.SKILLED and person.work_months >= 10
          and rng.random() < 0.15):
        person.insurance = MedicalInsurance.EMPLOYEE
    else:
        person.insurance = MedicalInsurance.RESIDENT
    person.critical = person.insurance != MedicalInsurance.NONE
    if person.insurance == MedicalInsurance.EMPLOYEE:
        person.pension = True
    elif person.age >= 16 and not person.student:
        person.pension = rng.random() < (0.96 if person.age >= 60 else 0.87)
    person.supplementary = person.insurance != MedicalInsurance.NONE and rng.random() < (0.65 if exited else 0.04)


def joined_date(person: Person, registered: datetime.date) -> datetime.date:
    return person.birth if person.birth > registered else registered
