"""Each numbered attack of the hardening issue, performed as an attacker would, and refused."""
