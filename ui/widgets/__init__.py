"""Small reusable widgets: charts, cards, banner, the detail panel."""
