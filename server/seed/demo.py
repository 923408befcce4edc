def seed_county(scale, seed):
    raise NotImplementedError


def print_logins(password):
    pass
