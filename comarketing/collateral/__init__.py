"""Co-branded collateral of joint campaigns (issue 8)."""
