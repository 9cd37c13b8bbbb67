"""Regression tests from reviews of the payments, credit-note and quote work: money, races, bad input."""
