"""Realistic demo data for a fire-safety maintenance company, bulk-loaded and reproducible.

The entry point is `oversight.demo.generator.generate`.
"""
