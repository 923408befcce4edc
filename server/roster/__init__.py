"""The county's roster of entitled persons (优抚对象花名册), imported from its own workbooks."""
