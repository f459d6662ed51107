"""After the works: acceptance (竣工验收) and the residents' evaluation (满意度评价)."""
