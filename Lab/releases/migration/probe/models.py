from django.db import models


class Visit(models.Model):
    path = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, default="new")
