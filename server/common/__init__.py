"""Building blocks shared by every domain: time, crypto, validators, base model and schema."""
