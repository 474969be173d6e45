"""The OAuth 2.1 authorization server: consent, codes, tokens and the grants behind them."""
