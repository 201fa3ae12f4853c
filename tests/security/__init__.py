"""Attacks on accordwatch, each performed as an attacker would and refused."""
