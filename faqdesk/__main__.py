from faqdesk.cli import main

main()
