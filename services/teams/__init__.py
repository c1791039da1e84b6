"""The six specialist investment teams (专业招商协作组) and the routing of leads to them."""
