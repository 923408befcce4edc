"""Dispute mediation (纠纷调解): cases and their sessions."""
