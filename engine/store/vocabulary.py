"""The store's fixed words (round kinds, rectification statuses), importable without SQLAlchemy, so that the
command line can offer them as choices without loading the database layer at start-up."""

ROUND_KINDS = ("自评", "评估", "复核")
ITEM_STATUSES = ("待整改", "整改中", "已整改", "已销号", "逾期")
OPEN_STATUSES = ("待整改", "整改中", "逾期")
