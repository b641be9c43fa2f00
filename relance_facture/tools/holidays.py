"""French public holidays and business days, for any year (pure Python)."""

from datetime import date, timedelta


def easter_sunday(year):
    """Gregorian Easter (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def french_public_holidays(year):
    """The eleven public holidays of metropolitan France."""
    easter = easter_sunday(year)
    return {
        date(year, 1, 1),  # Jour de l'an
        easter + timedelta(days=1),  # Lundi de Pâques
        date(year, 5, 1),  # Fête du travail
        date(year, 5, 8),  # Victoire 1945
        easter + timedelta(days=39),  # Ascension
        easter + timedelta(days=50),  # Lundi de Pentecôte
        date(year, 7, 14),  # Fête nationale
        date(year, 8, 15),  # Assomption
        date(year, 11, 1),  # Toussaint
        date(year, 11, 11),  # Armistice
        date(year, 12, 25),  # Noël
    }


def is_business_day(day, extra_holidays=(), french=True):
    """Monday to Friday, not a French public holiday nor an extra closed day."""
    if day.weekday() >= 5 or day in extra_holidays:
        return False
    return not (french and day in french_public_holidays(day.year))


def next_business_day(day, extra_holidays=(), french=True):
    """``day`` itself when it is a business day, else the next one."""
    while not is_business_day(day, extra_holidays, french):
        day += timedelta(days=1)
    return day
