"""The closed problem loop and the supervision rhythm: weekly, monthly, quarterly, bimonthly."""
