"""Contact cards (连心卡) of migrant beneficiaries and the contact log."""
