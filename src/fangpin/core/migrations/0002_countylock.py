from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='CountyLock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=80, unique=True, verbose_name='锁')),
                ('acquired_at', models.DateTimeField(null=True, verbose_name='最近加锁时间')),
                ('holder', models.CharField(blank=True, max_length=200, verbose_name='持有进程')),
            ],
            options={
                'verbose_name': '县级锁',
                'verbose_name_plural': '县级锁',
            },
        ),
    ]
