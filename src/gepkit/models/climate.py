"""Climate regulation (气候调节 / 局部气候调节, R10): evapotranspiration energy as electricity.

The Chinese GEP method values the heat that ecosystems consume by evaporating water on the days
people would otherwise switch on air conditioners or humidifiers (methods catalogue §2.12,
after the MEE 2020 guideline, Bo Wenjing et al. 2017 and the Garzê account of Pema Dolkar, Xiao &
Ouyang 2017):

    E_tt = E_pt + E_we
    E_pt = Σ_i EPP_i · S_i · D · 10⁶ / (3600 · r)        vegetation transpiration cooling
    E_we = E_w · ρ_w · q / 3600  (÷ r, optional)  + E_w · y      water-surface evaporation

and gepkit's evapotranspiration variant of the vegetation term, which replaces the tabulated
EPP (no verified values exist, gep-parameters-confirmed §6) by the latent heat of the water
actually evapotranspired on the hot days:

    E_pt = ET_hot · 10⁻³ · A · ρ_w · q / 3600 / r

Every function returns an extensive quantity per cell in kWh (1 kWh = 3600 kJ).
"""

from __future__ import annotations

import calendar

import xarray as xr

from gepkit.units import require_units, with_units

#: ρ_w, density of water [kg/m³] (catalogue §2.12: 1,000).
WATER_DENSITY_KG_M3 = 1000.0
#: kJ per kWh (1 kW·h = 1 kJ/s · 3600 s).
KJ_PER_KWH = 3600.0


def days_in_year(year: int) -> int:
    """Days of the accounting year: 366 in leap years (2020), else 365."""
    return 366 if calendar.isleap(year) else 365


def _positive(value: float, name: str) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def hot_days_evapotranspiration(
    *, actual_et: xr.DataArray, hot_days: xr.DataArray, days_in_year: int
) -> xr.DataArray:
    """Evapotranspiration over the hot days, assuming ET is spread evenly over the year.

    .. math:: ET_{hot} = ET \\cdot \\min(1, \\max(0, D / N))

    Parameters
    ----------
    actual_et : ET, actual evapotranspiration of the year [mm].
    hot_days : D, days of the year needing air conditioning [day] (days with a daily maximum
        temperature above 26 °C is the usual definition; the threshold is [K], catalogue §2.12).
    days_in_year : N, 365 or 366 [day].

    Returns
    -------
    ET_hot [mm].  The even spread is a [K] assumption of gepkit: in a monsoon climate most ET
    falls in the hot season, so this *understates* ET_hot (give the layer
    ``actual_et_hot_days`` summed from daily or monthly ET instead when you can).  A share above
    1 (a 366-day layer in a 365-day year) counts as the whole year.
    """
    require_units(actual_et, "mm", "actual_et")
    require_units(hot_days, "day", "hot_days")
    _positive(days_in_year, "days_in_year")
    share = (hot_days / float(days_in_year)).clip(0.0, 1.0)
    return with_units(actual_et * share, "mm", "actual_et_hot_days")


def latent_heat_energy(
    *, water_depth: xr.DataArray, cell_area_m2: float, latent_heat_kj_per_kg: float
) -> xr.DataArray:
    """Latent heat consumed by evaporating a water layer, expressed in kWh per cell.

    .. math:: E = h \\cdot 10^{-3} \\cdot A \\cdot \\rho_w \\cdot q / 3600

    Parameters
    ----------
    water_depth : h, depth of water evaporated [mm].
    cell_area_m2 : A [m²].
    latent_heat_kj_per_kg : q, latent heat of vaporisation [kJ/kg] (= J/g; 2,450 at about 20 °C
        in the Youyang platform [V], 2,257 at 100 °C).

    Returns
    -------
    Energy [kWh] per cell (mm → m: 10⁻³; × m² → m³; × ρ_w = 1,000 kg/m³ → kg; × q → kJ;
    ÷ 3600 → kWh).  It is also the plausibility limit of the item: the cooling energy cannot
    exceed the latent heat of the year's ET.
    """
    require_units(water_depth, "mm", "water_depth")
    _positive(latent_heat_kj_per_kg, "latent_heat_kj_per_kg")
    energy = water_depth * 1e-3 * cell_area_m2 * WATER_DENSITY_KG_M3 * latent_heat_kj_per_kg
    return with_units(energy / KJ_PER_KWH, "kWh", "latent_heat_energy")


def evapotranspiration_cooling(
    *,
    et_hot_days: xr.DataArray,
    cell_area_m2: float,
    latent_heat_kj_per_kg: float,
    energy_efficiency_ratio: float,
) -> xr.DataArray:
    """Electricity an air conditioner would use to remove the heat of the hot days' ET.

    .. math:: E_{pt} = ET_{hot} \\cdot 10^{-3} \\cdot A \\cdot \\rho_w \\cdot q / (3600 \\cdot r)

    Parameters
    ----------
    et_hot_days : ET_hot, actual evapotranspiration summed over the hot days [mm].
    cell_area_m2 : A [m²].
    latent_heat_kj_per_kg : q [kJ/kg].
    energy_efficiency_ratio : r, heat removed per unit of electricity of an air conditioner
        [dimensionless] (3.0, Bo Wenjing et al. 2017 [V]).

    Returns
    -------
    Electricity [kWh] per cell.  Actual ET includes soil evaporation and interception loss, so
    this is evapotranspiration (not transpiration alone) cooling: an upper estimate of E_pt.

    References: methods catalogue §2.12 (the EPP form it replaces); Bo Wenjing et al. 2017, Acta
    Ecol. Sin. 37(12): 4182–4190 (r); the ET form is gepkit's [K] choice, see
    docs/methods/climate_regulation.md.
    """
    _positive(energy_efficiency_ratio, "energy_efficiency_ratio")
    heat = latent_heat_energy(
        water_depth=et_hot_days,
        cell_area_m2=cell_area_m2,
        latent_heat_kj_per_kg=latent_heat_kj_per_kg,
    )
    return with_units(heat / energy_efficiency_ratio, "kWh", "transpiration_cooling")


def transpiration_cooling_epp(
    *,
    epp: xr.DataArray,
    hot_days: xr.DataArray,
    cell_area_m2: float,
    energy_efficiency_ratio: float,
) -> xr.DataArray:
    """Vegetation transpiration cooling by the tabulated heat consumption EPP (MEE form).

    .. math:: E_{pt} = EPP \\cdot A \\cdot D / (3600 \\cdot r)

    the per-cell form of Σ_i EPP_i · S_i · D · 10⁶ / (3600 · r), whose 10⁶ turns S_i in km² into
    m² (here A is already in m²).

    Parameters
    ----------
    epp : EPP, heat consumed by transpiration per unit area and day of the cell's vegetation type
        [kJ/(m²·d)] (MEE guideline table; no values found in a readable source, so the table
        ``climate_epp`` must be supplied, gep-parameters-confirmed §6).
    hot_days : D, days of the year needing air conditioning [day].
    cell_area_m2 : A [m²].
    energy_efficiency_ratio : r [dimensionless].

    Returns
    -------
    Electricity [kWh] per cell (kJ ÷ 3600 → kWh).

    References: methods catalogue §2.12; Pema Dolkar, Xiao & Ouyang 2017, Acta Ecol. Sin. 37(19):
    6302–6312; Bo Wenjing et al. 2017.
    """
    require_units(epp, "kJ/(m^2*d)", "epp")
    require_units(hot_days, "day", "hot_days")
    _positive(energy_efficiency_ratio, "energy_efficiency_ratio")
    heat = epp * cell_area_m2 * hot_days  # kJ
    return with_units(heat / (KJ_PER_KWH * energy_efficiency_ratio), "kWh", "transpiration_cooling")


def evaporation_volume(*, et_hot_days: xr.DataArray, cell_area_m2: float) -> xr.DataArray:
    """E_w, water evaporated from a water surface over the hot days [m³ per cell].

    .. math:: E_w = ET_{hot} \\cdot 10^{-3} \\cdot A

    Parameters
    ----------
    et_hot_days : evaporation of the water pixel over the hot days [mm] (actual ET on water
        pixels; a pan reading needs a pan coefficient first, catalogue §2.12).
    cell_area_m2 : A [m²].
    """
    require_units(et_hot_days, "mm", "et_hot_days")
    return with_units(et_hot_days * 1e-3 * cell_area_m2, "m^3", "water_evaporation")


def evaporation_cooling(
    *,
    evaporation: xr.DataArray,
    latent_heat_kj_per_kg: float,
    energy_efficiency_ratio: float | None = None,
) -> xr.DataArray:
    """Cooling by water-surface evaporation, as electricity [kWh per cell].

    .. math:: E_{wc} = E_w \\cdot \\rho_w \\cdot q / 3600 \\quad (\\div r \\text{ optionally})

    Parameters
    ----------
    evaporation : E_w [m³].
    latent_heat_kj_per_kg : q [kJ/kg].
    energy_efficiency_ratio : r; ``None`` (the Garzê text, which writes the water term without r
        [V]) or a number to divide by (the MEE guideline may divide, [K]).

    References: methods catalogue §2.12; Pema Dolkar, Xiao & Ouyang 2017.
    """
    require_units(evaporation, "m^3", "evaporation")
    _positive(latent_heat_kj_per_kg, "latent_heat_kj_per_kg")
    heat = evaporation * WATER_DENSITY_KG_M3 * latent_heat_kj_per_kg  # kJ
    divisor = KJ_PER_KWH
    if energy_efficiency_ratio is not None:
        _positive(energy_efficiency_ratio, "energy_efficiency_ratio")
        divisor *= energy_efficiency_ratio
    return with_units(heat / divisor, "kWh", "water_cooling")


def evaporation_humidifying(
    *, evaporation: xr.DataArray, humidifier_kwh_per_m3: float
) -> xr.DataArray:
    """Humidifying by water-surface evaporation, as a humidifier's electricity [kWh per cell].

    .. math:: E_{wh} = E_w \\cdot y

    Parameters
    ----------
    evaporation : E_w [m³].
    humidifier_kwh_per_m3 : y, electricity a humidifier uses to put 1 m³ of water into the air
        [kWh/m³] (120, Youyang platform [V]; 125, Shang Huimin et al. 2018 [V]).

    References: methods catalogue §2.12 (symbol y from the Garzê account [V]).
    """
    require_units(evaporation, "m^3", "evaporation")
    if not humidifier_kwh_per_m3 >= 0:
        raise ValueError(f"humidifier_kwh_per_m3 must be ≥ 0, got {humidifier_kwh_per_m3!r}")
    return with_units(evaporation * humidifier_kwh_per_m3, "kWh", "water_humidifying")
