"""Valuation: physical quantity × price record, with units handled by pint."""
