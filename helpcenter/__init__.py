"""The help center: categories, articles, translations, revisions, Markdown, search."""
