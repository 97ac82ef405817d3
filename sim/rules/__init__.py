"""The model's rules as functions of arrays: labour, money, enforcement and site choice. No model state here."""
