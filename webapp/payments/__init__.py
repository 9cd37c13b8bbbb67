"""The payments list: every payment and refund of the organization, for the bookkeeper. (Recording and voiding
a payment are actions on an invoice: ``webapp/invoices/payments.py``.)"""
