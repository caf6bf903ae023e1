"""A measure's monitored period now points at monitoring.Monitoring (same table, state only)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assistance', '0002_measureevidence_content_type'),
        ('monitoring', '0003_monitoring_moved_from_cases'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='measure',
                    name='monitoring',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='measures', to='monitoring.monitoring',
                                            verbose_name='监测期'),
                ),
            ],
        ),
    ]
