"""The six regional investment-bureau action Party branches (区域招商局行动党支部)."""
