"""The monitored period now lives in `monitoring` (see monitoring 0003): the elimination case's foreign key
points there and the old state model goes. State only: the table `cases_monitoring` stays as it is."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assistance', '0003_monitoring_moved_from_cases'),
        ('cases', '0003_attachment_content_type'),
        ('monitoring', '0003_monitoring_moved_from_cases'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='monitoring',
                    field=models.ForeignKey(blank=True, help_text='for an elimination case: the monitoring period it would end',
                                            null=True, on_delete=django.db.models.deletion.PROTECT,
                                            related_name='elimination_cases', to='monitoring.monitoring',
                                            verbose_name='监测期'),
                ),
                migrations.DeleteModel(name='Monitoring'),
            ],
        ),
    ]
