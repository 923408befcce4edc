"""Feedback forms (征求意见表) from migrant beneficiaries."""
