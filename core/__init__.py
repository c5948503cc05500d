"""faqdesk shared foundation: settings, errors."""
