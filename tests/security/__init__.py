"""Attacks from the hardening review, each performed as an attacker would and refused."""
