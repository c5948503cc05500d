"""faqdesk: a self-hosted FAQ chatbot and help center. This package holds the command line."""

__version__ = "0.1.0"
